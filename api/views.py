"""Every /api/v1/ endpoint: parse, call one domain function, serialise."""

from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api.serializers import AccountSerializer, ImageSerializer, RenderRequestSerializer, TemplateSerializer
from billing import ledger
from templates_app import services
from templates_app.models import DesignTemplate, Image


class ListView(GenericAPIView):
    """A GenericAPIView whose GET pages `get_queryset()` with the default paginator."""

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class TemplateList(ListView):
    serializer_class = TemplateSerializer

    def get_queryset(self):
        return DesignTemplate.objects.filter(owner=self.request.user)

    def post(self, request):
        template = services.create_template(owner=request.user, data=request.data)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class TemplateDetail(GenericAPIView):
    serializer_class = TemplateSerializer

    def get(self, request, template_id: str):
        return Response(TemplateSerializer(services.get_template_for(request.user, template_id)).data)

    def put(self, request, template_id: str):
        return self._update(request, template_id, partial=False)

    def patch(self, request, template_id: str):
        return self._update(request, template_id, partial=True)

    def _update(self, request, template_id: str, *, partial: bool):
        template = services.get_template_for(request.user, template_id)
        template = services.update_template(template=template, data=request.data, partial=partial)
        return Response(TemplateSerializer(template).data)

    def delete(self, request, template_id: str):
        services.delete_template(template=services.get_template_for(request.user, template_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImageList(ListView):
    serializer_class = ImageSerializer

    def get_queryset(self):
        images = Image.objects.for_key(self.request.auth).select_related("source_image")
        if template := self.request.query_params.get("template"):
            images = images.filter(template_public_id=template)
        if image_status := self.request.query_params.get("status"):
            images = images.filter(status=image_status)
        return images

    def post(self, request):
        params = RenderRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        image, balance = services.render_image(
            api_key=request.auth,
            template_id=data["template"],
            modifications=data["modifications"],
            fmt=data["format"],
            scale=data["scale"],
            quality=data["quality"],
            metadata=data["metadata"],
        )
        response = Response(ImageSerializer(image).data, status=status.HTTP_201_CREATED)
        response["X-Credits-Remaining"] = str(balance)
        return response


class ImageDetail(GenericAPIView):
    serializer_class = ImageSerializer

    def get(self, request, image_id: str):
        return Response(ImageSerializer(services.get_image_for(request.auth, image_id)).data)

    def delete(self, request, image_id: str):
        services.delete_image(image=services.get_image_for(request.auth, image_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountDetail(GenericAPIView):
    serializer_class = AccountSerializer

    def get(self, request):
        account = ledger.open_account(request.user)
        return Response(AccountSerializer({"account": account, "key": request.auth}).data)
